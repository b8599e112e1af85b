virt-rescue -a nosuch.img
