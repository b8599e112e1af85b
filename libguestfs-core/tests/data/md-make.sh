#!/bin/bash
# Makes md RAID test images with real mdadm inside an appliance (this host has no md
# driver): four disks (200 MiB by default) with six GPT partitions each, and one array per partition
# number, each with an ext4 filesystem holding the same tree:
#   p1 raid1 1.2 (sda,sdb)        p2 raid0 1.2 (sda,sdb,sdc) 64K
#   p3 raid5 1.2 (sda-sdd) 64K    p4 raid6 0.90 (sda-sdd) 16K
#   p5 raid10 1.0 (sda-sdd) 32K   p6 raid4 1.1 (sda,sdb,sdc) 64K
# Usage: md-make.sh GUESTFISH OUTDIR   (GUESTFISH: a guestfish command, e.g.
# "virt-tools guestfish" with LIBGUESTFS_BACKEND=direct). Writes OUTDIR/{a,b,c,d}.img,
# OUTDIR/big.bin (the file written to every array) and OUTDIR/made.
# MD_PART_SECTORS (default 49152) and MD_BIG_BYTES (5000000) make smaller images (fuzz seeds).
set -e
part=${MD_PART_SECTORS:-49152}
big=${MD_BIG_BYTES:-5000000}
fish=$1
out=$2
mkdir -p "$out"
cd "$out"
# Deterministic content that is not all one byte: chunks land on different members.
MD_BIG=$big python3 -c 'import hashlib,os,sys
n=int(os.environ["MD_BIG"])
b=bytearray()
i=0
while len(b)<n:
    b+=hashlib.sha256(str(i).encode()).digest(); i+=1
sys.stdout.buffer.write(bytes(b[:n]))' > big.bin
for d in a b c d; do rm -f $d.img; truncate -s $(( (6 * part + 4096) * 512 )) $d.img; done
{
    echo run
    for d in a b c d; do
        echo "part-init /dev/sd$d gpt"
        for i in 0 1 2 3 4 5; do
            s=$((2048 + i * part))
            echo "part-add /dev/sd$d p $s $((s + part - 1))"
        done
    done
    md() { # NAME DEVICES LEVEL METADATA [CHUNK]
        echo "debug sh \"echo CREATE metadata=$4 > /etc/mdadm.conf\""
        echo "md-create $1 \"$2\" level:$3${5:+ chunk:$5}"
    }
    md r1 "/dev/sda1 /dev/sdb1" raid1 1.2
    md r0 "/dev/sda2 /dev/sdb2 /dev/sdc2" raid0 1.2 65536
    md r5 "/dev/sda3 /dev/sdb3 /dev/sdc3 /dev/sdd3" raid5 1.2 65536
    md r6 "/dev/sda4 /dev/sdb4 /dev/sdc4 /dev/sdd4" raid6 0.90 16384
    md r10 "/dev/sda5 /dev/sdb5 /dev/sdc5 /dev/sdd5" raid10 1.0 32768
    md r4 "/dev/sda6 /dev/sdb6 /dev/sdc6" raid4 1.1 65536
    # Let the initial resyncs finish: the images must hold consistent parity.
    echo 'debug sh "for m in /dev/md[0-9]*; do mdadm --wait $m; done; true"'
    for n in r1 r0 r5 r6 r10 r4; do
        echo "mkfs ext4 /dev/md/$n"
        echo "mount /dev/md/$n /"
        echo "mkdir /dir"
        echo "write /dir/hello $n-hello"
        echo "upload big.bin /big.bin"
        echo "mkdir-p /a/b/c"
        echo "write /a/b/c/small xyz"
        echo "umount /"
    done
    # Clean superblocks: a dirty array that is later degraded would not start.
    echo 'debug sh "sync; for m in /dev/md[0-9]*; do mdadm --wait $m; done; mdadm --wait-clean --scan; cat /proc/mdstat; mdadm --stop --scan; true"'
} > make.fish
$fish -a a.img -a b.img -a c.img -a d.img -f make.fish > make.log 2>&1
touch made
