rm -rf f7 && mkdir f7 && qemu-img create -q -f qcow2 f7/d.qcow2 16M && virt-format -a f7/d.qcow2 --filesystem=msdos && virt-filesystems -a f7/d.qcow2 --all --long
