virt-rescue --smp two -a demo.img
