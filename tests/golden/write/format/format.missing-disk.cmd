virt-format -a nosuch/d.img
