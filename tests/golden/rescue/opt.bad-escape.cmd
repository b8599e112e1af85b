virt-rescue -e x -a demo.img
