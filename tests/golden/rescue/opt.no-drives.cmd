virt-rescue
