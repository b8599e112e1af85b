virt-rescue --smp 0 -a demo.img
