//! Builds the demo guest image: `make-demo-image OUT.img` (raw) and `OUT.qcow2` beside it.

use virt_tools_tests::{images, TempDir};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "demo.img".to_string());
    let out = std::path::PathBuf::from(out);
    let work = TempDir::new("demo");
    images::demo_guest(work.path(), &out);
    let qcow2 = out.with_extension("qcow2");
    images::to_qcow2(&out, &qcow2, true);
    println!("{}", out.display());
    println!("{}", qcow2.display());
}
