virt-inspector -a demo.img
