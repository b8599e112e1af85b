virt-filesystems -a parts.img --all --long --uuid
