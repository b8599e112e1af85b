virt-tar-out -a demo.img / - | tar -tf -
