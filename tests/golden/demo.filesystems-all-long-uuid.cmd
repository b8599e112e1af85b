virt-filesystems -a demo.img --all --long --uuid
