#!/usr/bin/env python3
# Exit 0 if /dev/kvm can run a guest: open, KVM_CREATE_VM, one vCPU running "mov al,0x42; hlt" in real mode.
# Used by lab/run. (A PVM-only /dev/kvm passes this; lab/run also requires vmx/svm in /proc/cpuinfo.)
import os, fcntl, mmap, struct, ctypes, sys
fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
assert fcntl.ioctl(fd, 0xAE00, 0) == 12                      # KVM_GET_API_VERSION
vm = fcntl.ioctl(fd, 0xAE01, 0)                               # KVM_CREATE_VM
mem = mmap.mmap(-1, 0x10000, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
mem[0x1000:0x1004] = bytes([0xb0, 0x42, 0xf4, 0xf4])           # mov al,0x42; hlt
addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
fcntl.ioctl(vm, 0x4020AE46, struct.pack("IIQQQ", 0, 0, 0, 0x10000, addr))  # KVM_SET_USER_MEMORY_REGION
cpu = fcntl.ioctl(vm, 0xAE41, 0)                              # KVM_CREATE_VCPU
sz = fcntl.ioctl(fd, 0xAE04, 0)                               # KVM_GET_VCPU_MMAP_SIZE
run = mmap.mmap(cpu, sz, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
sregs = bytearray(312)
fcntl.ioctl(cpu, 0x8138AE83, sregs)                           # KVM_GET_SREGS
struct.pack_into("Q", sregs, 0, 0); struct.pack_into("H", sregs, 12, 0)   # cs.base = 0, cs.selector = 0
fcntl.ioctl(cpu, 0x4138AE84, bytes(sregs))                    # KVM_SET_SREGS
regs = [0] * 18; regs[16] = 0x1000; regs[17] = 2               # rip, rflags
fcntl.ioctl(cpu, 0x4090AE82, struct.pack("18Q", *regs))       # KVM_SET_REGS
fcntl.ioctl(cpu, 0xAE80, 0)                                   # KVM_RUN
reason = struct.unpack_from("I", run, 8)[0]
regs = bytearray(144); fcntl.ioctl(cpu, 0x8090AE81, regs)     # KVM_GET_REGS
rax = struct.unpack_from("Q", regs, 0)[0]
# print("exit_reason", reason, "rax", hex(rax))
sys.exit(0 if reason == 5 and rax & 0xff == 0x42 else 1)     # KVM_EXIT_HLT
