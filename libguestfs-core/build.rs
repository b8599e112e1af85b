//! Generates the `Handle` method of every action from `api/`.

fn main() {
    let out = std::env::var_os("OUT_DIR").expect("OUT_DIR");
    guestfs_generator::write_handle(std::path::Path::new(&out));
    println!("cargo:rerun-if-changed=build.rs");
}
