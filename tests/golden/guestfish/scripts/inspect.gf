inspect-get-roots
inspect-get-type /dev/sda2
inspect-get-distro /dev/sda2
inspect-get-product-name /dev/sda2
inspect-get-major-version /dev/sda2
inspect-get-minor-version /dev/sda2
inspect-get-hostname /dev/sda2
inspect-get-package-format /dev/sda2
inspect-get-mountpoints /dev/sda2
inspect-get-filesystems /dev/sda2
inspect-is-live /dev/sda2
mountpoints
mounts
