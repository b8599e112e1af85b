virt-df -a demo.img --csv -i
