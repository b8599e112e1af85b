virt-filesystems -a gpt.img --all --long --uuid
