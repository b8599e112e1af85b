virt-rescue --suggest -a demo.img
