virt-df -c test:///default
