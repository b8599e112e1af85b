virt-format --filesystem=ext4
