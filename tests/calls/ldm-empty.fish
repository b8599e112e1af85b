# Windows dynamic disks (LDM) on disks that carry none (InitEmpty), after the optional groups
# of the block device calls, which the appliance must truly have.
feature-available "blkdiscard blkdiscardzeroes gdisk ldm luks lvm2 mdadm scrub"
available "ldm mdadm scrub"
ldmtool-scan
ldmtool-scan-devices "/dev/sda /dev/sdb"
ldmtool-create-all
list-ldm-volumes
list-ldm-partitions
ldmtool-remove-all
-ldmtool-diskgroup-name 0123abcd
-ldmtool-diskgroup-volumes 0123abcd
-ldmtool-diskgroup-disks 0123abcd
-ldmtool-volume-type 0123abcd vol
-ldmtool-volume-hint 0123abcd vol
-ldmtool-volume-partitions 0123abcd vol
