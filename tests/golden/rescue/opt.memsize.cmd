virt-rescue --memsize lots -a demo.img
