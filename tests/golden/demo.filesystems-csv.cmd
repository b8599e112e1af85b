virt-filesystems -a demo.img --all --long --csv
