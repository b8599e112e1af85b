virt-rescue -a demo.img --format=raw
