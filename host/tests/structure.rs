//! The code's shape, as the team's guide asks of `guest/src`, `host/src` and `core/src`:
//! no module imports a module that imports it back, and no function outside tests is
//! over 80 lines. Modules are the crate's top-level ones (a directory module with its
//! files is one); test code (`#[cfg(test)]` items and the files they include) is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Longest function allowed, in lines.
const MAX_LINES: usize = 80;

/// What one crate's sources say: each top-level module's imports of the others, and its
/// functions over [`MAX_LINES`].
#[derive(Default)]
struct Crate {
    imports: BTreeMap<String, BTreeSet<String>>,
    long: Vec<String>,
}

/// Whether `attrs` hold `#[cfg(test)]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

/// Walks one file's syntax tree for one module.
struct Reader<'a> {
    module: String,
    file: String,
    /// Whether `super::` names the crate's root (a top-level file).
    top_file: bool,
    krate: &'a mut Crate,
    /// Files of test modules declared here (`#[cfg(test)] mod x;`), skipped.
    test_mods: Vec<String>,
}

impl Reader<'_> {
    fn import(&mut self, first: &str, second: Option<String>) {
        let target = match (first, second) {
            ("crate", Some(m)) => m,
            ("super", Some(m)) if self.top_file => m,
            _ => return,
        };
        if target != self.module {
            let set = self.krate.imports.entry(self.module.clone()).or_default();
            set.insert(target);
        }
    }

    /// Checks a function's length, from `fn` to its closing brace (its doc is not counted).
    fn function(&mut self, sig: &syn::Signature, body: &syn::Block) {
        let (start, end) = (
            sig.fn_token.span.start().line,
            body.brace_token.span.close().end().line,
        );
        let lines = end - start + 1;
        if lines > MAX_LINES {
            let name = &sig.ident;
            let at = format!("{}:{start} fn {name}: {lines} lines", self.file);
            self.krate.long.push(at);
        }
    }
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_test(&m.attrs) {
            if m.content.is_none() {
                self.test_mods.push(m.ident.to_string());
            }
            return;
        }
        syn::visit::visit_item_mod(self, m);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_test(&f.attrs) {
            return;
        }
        self.function(&f.sig, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.function(&f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_test(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }

    fn visit_use_tree(&mut self, t: &'ast syn::UseTree) {
        if let syn::UseTree::Path(p) = t {
            let first = p.ident.to_string();
            if first == "crate" || first == "super" {
                let mut seconds = Vec::new();
                names(&p.tree, &mut seconds);
                for s in seconds {
                    self.import(&first, Some(s));
                }
                return;
            }
        }
        syn::visit::visit_use_tree(self, t);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let mut segs = p.segments.iter().map(|s| s.ident.to_string());
        if let Some(first) = segs.next() {
            self.import(&first, segs.next());
        }
        syn::visit::visit_path(self, p);
    }
}

/// The first names of a use tree (`{a, b::c}` gives `a`, `b`).
fn names(t: &syn::UseTree, out: &mut Vec<String>) {
    match t {
        syn::UseTree::Path(p) => out.push(p.ident.to_string()),
        syn::UseTree::Name(n) => out.push(n.ident.to_string()),
        syn::UseTree::Rename(r) => out.push(r.ident.to_string()),
        syn::UseTree::Group(g) => g.items.iter().for_each(|i| names(i, out)),
        syn::UseTree::Glob(_) => {}
    }
}

/// Reads every `.rs` file below `src` (a crate's source directory).
fn read_crate(src: &Path) -> Crate {
    let mut krate = Crate::default();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![src.to_owned()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut skipped: BTreeSet<PathBuf> = BTreeSet::new();
    // Parents before the files they declare: shorter paths first within a directory.
    files.sort_by_key(|p| p.components().count());
    for path in &files {
        if skipped.contains(path) {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut reader = Reader {
            module,
            file: format!("{}", path.display()),
            top_file: rel.components().count() == 1,
            krate: &mut krate,
            test_mods: Vec::new(),
        };
        reader.visit_file(&file);
        let own_dir = match path.file_stem().unwrap().to_str().unwrap() {
            "mod" => path.parent().unwrap().to_owned(),
            _ => path.with_extension(""),
        };
        for m in reader.test_mods {
            skipped.insert(own_dir.join(format!("{m}.rs")));
            skipped.insert(path.parent().unwrap().join(format!("{m}.rs")));
            skipped.insert(own_dir.join(&m).join("mod.rs"));
        }
    }
    krate
}

/// The problems of the crate at `src`: mutual imports and long functions.
fn problems(src: &Path) -> Vec<String> {
    let krate = read_crate(src);
    let mut out = Vec::new();
    for (a, deps) in &krate.imports {
        for b in deps {
            if a < b && krate.imports.get(b).is_some_and(|d| d.contains(a)) {
                out.push(format!(
                    "{}: `{a}` and `{b}` import each other",
                    src.display()
                ));
            }
        }
    }
    out.extend(krate.long);
    out
}

#[test]
fn no_module_cycles_and_no_long_functions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut all = Vec::new();
    for krate in ["guest/src", "host/src", "core/src"] {
        all.extend(problems(&root.join(krate)));
    }
    assert!(all.is_empty(), "the code's shape:\n{}", all.join("\n"));
}
