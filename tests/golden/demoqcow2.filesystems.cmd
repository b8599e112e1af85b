virt-filesystems -a demo.qcow2 --all --long --uuid
