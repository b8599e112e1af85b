virt-rescue --scratch=many
