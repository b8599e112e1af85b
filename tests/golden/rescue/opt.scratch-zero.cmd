virt-rescue --scratch=0
