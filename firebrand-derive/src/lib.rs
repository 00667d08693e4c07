//! `#[derive(Module)]` for firebrand: implements `firebrand::nn::Visit` for a struct by visiting
//! each field in declaration order, so a user model is a plain struct.
//!
//! A field's type decides what it is: a `Tensor` is a parameter, a layer (anything that
//! implements `Visit`) is a sub-module whose parameters are named `field.sub`, a `Vec` or an
//! `Option` of either is visited element by element (`layers.0.weight`), and plain data
//! (numbers, bools, strings) holds nothing. Attributes on a field:
//! `#[module(buffer)]` marks a `Tensor` as a buffer (saved in the state dict, not trained),
//! `#[module(skip)]` leaves a field out (use it for types that do not implement `Visit`).
//!
//! ```ignore
//! use firebrand::nn::{self, Module};
//! #[derive(Module)]
//! struct Net { fc1: nn::Linear, fc2: nn::Linear }
//! impl Module for Net {
//!     fn forward(&self, x: &firebrand::Tensor) -> firebrand::Tensor {
//!         self.fc2.forward(&self.fc1.forward(x).relu())
//!     }
//! }
//! ```

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Index, parse_macro_input};

/// Derives `firebrand::nn::Visit` (parameters, buffers, sub-modules, train/eval) for a struct.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// What a `#[module(..)]` attribute asks of a field.
#[derive(PartialEq)]
enum FieldRole {
    Visit,
    Buffer,
    Skip,
}

fn field_role(attrs: &[syn::Attribute]) -> syn::Result<FieldRole> {
    let mut role = FieldRole::Visit;
    for attr in attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("buffer") {
                role = FieldRole::Buffer;
                Ok(())
            } else if meta.path.is_ident("skip") {
                role = FieldRole::Skip;
                Ok(())
            } else {
                Err(meta.error("expected `buffer` or `skip` in #[module(..)]"))
            }
        })?;
    }
    Ok(role)
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Module)] works on structs; write `impl Visit` by hand for enums",
        ));
    };
    let mut visits = Vec::new();
    let mut trains = Vec::new();
    let members: Vec<(syn::Member, String, &syn::Field)> = match &data.fields {
        Fields::Named(f) => f
            .named
            .iter()
            .map(|field| {
                let ident = field.ident.clone().expect("named field");
                let name = ident.to_string();
                (syn::Member::Named(ident), name, field)
            })
            .collect(),
        Fields::Unnamed(f) => f
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, field)| (syn::Member::Unnamed(Index::from(i)), i.to_string(), field))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    for (member, name, field) in members {
        match field_role(&field.attrs)? {
            FieldRole::Skip => {}
            FieldRole::Buffer => visits.push(quote! {
                visitor.buffer(&::firebrand::nn::join_name(prefix, #name), &self.#member);
            }),
            FieldRole::Visit => {
                visits.push(quote! {
                    ::firebrand::nn::Visit::visit(
                        &self.#member, &::firebrand::nn::join_name(prefix, #name), visitor);
                });
                trains.push(quote! {
                    ::firebrand::nn::Visit::set_training(&mut self.#member, training);
                });
            }
        }
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::firebrand::nn::Visit for #ident #ty_generics #where_clause {
            fn visit(&self, prefix: &str, visitor: &mut dyn ::firebrand::nn::Visitor) {
                #(#visits)*
            }
            fn set_training(&mut self, training: bool) {
                #(#trains)*
            }
        }
    })
}
