virt-rescue --suggest ./demo.img
