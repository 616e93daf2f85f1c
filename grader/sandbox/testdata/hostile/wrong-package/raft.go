package main

func onBoot(n *node) {}
func onTick(n *node) {}
