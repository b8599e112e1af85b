virt-rescue -r -w -a demo.img
