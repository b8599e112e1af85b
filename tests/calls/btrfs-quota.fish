# btrfs quota groups: enabling quotas on a mounted path and on an unmounted device, quota
# groups created, assigned, limited, shown and removed.
echo == quota on a device
part-disk /dev/sda mbr
mkfs btrfs /dev/sda1
btrfs-quota-enable /dev/sda1 true
btrfs-quota-rescan /dev/sda1
btrfs-quota-enable /dev/sda1 false
echo == quota on a path
mount /dev/sda1 /
-btrfs-qgroup-show /
-btrfs-qgroup-limit / 10737418240
btrfs-quota-enable / true
btrfs-quota-rescan /
btrfs-subvolume-create /sub1
-btrfs-qgroup-create 0/1000 /sub1
btrfs-qgroup-create 1/1000 /sub1
btrfs-qgroup-create 2/1000 /
btrfs-qgroup-assign 0/256 1/1000 /
btrfs-qgroup-assign 1/1000 2/1000 /
-btrfs-qgroup-assign 0/256 0/1001 /
btrfs-qgroup-limit / 10737418240
btrfs-qgroup-limit /sub1 1073741824
btrfs-filesystem-sync /
btrfs-qgroup-show / | grep -E 'btrfsqgroup_id: [01]/'
btrfs-qgroup-remove 1/1000 2/1000 /
-btrfs-qgroup-remove 1/1000 2/1000 /
btrfs-qgroup-destroy 2/1000 /
-btrfs-qgroup-destroy 2/1000 /sub1
-btrfs-qgroup-create junk /
btrfs-filesystem-sync /
btrfs-qgroup-show / | grep -E 'btrfsqgroup_id: [01]/'
btrfs-quota-enable / false
-btrfs-quota-rescan /
