virt-df -a parts.img --csv -i
