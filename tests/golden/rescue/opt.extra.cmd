virt-rescue -a demo.img extra
