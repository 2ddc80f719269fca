// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Names of VM exit reasons, as the kvm_exit tracepoint gives them (isa, reason): the kernel's VMX and
 * SVM exit codes (arch/x86/include/uapi/asm/vmx.h, svm.h) for the reasons a virtio guest produces.
 */
#include "exit_reason.h"

const char *vq_exit_reason_name(uint32_t isa, uint32_t reason)
{
    if (isa == 2) {
        switch (reason) {
        case 0x060: return "INTR";
        case 0x061: return "NMI";
        case 0x062: return "SMI";
        case 0x063: return "INIT";
        case 0x064: return "VINTR";
        case 0x06e: return "RDTSC";
        case 0x072: return "CPUID";
        case 0x077: return "PAUSE";
        case 0x078: return "HLT";
        case 0x07b: return "IOIO";
        case 0x07c: return "MSR";
        case 0x081: return "VMMCALL";
        case 0x08b: return "WBINVD";
        case 0x400: return "NPF";
        case 0x401: return "AVIC_INCOMPLETE_IPI";
        case 0x402: return "AVIC_UNACCELERATED_ACCESS";
        default:
            if (reason < 0x10) {
                return "READ_CR";
            }
            if (reason < 0x20) {
                return "WRITE_CR";
            }
            if (reason >= 0x40 && reason < 0x60) {
                return "EXCEPTION";
            }
            return NULL;
        }
    }
    if (isa == 1) {
        switch (reason) {
        case 0: return "EXCEPTION_NMI";
        case 1: return "EXTERNAL_INTERRUPT";
        case 7: return "INTERRUPT_WINDOW";
        case 10: return "CPUID";
        case 12: return "HLT";
        case 28: return "CR_ACCESS";
        case 30: return "IO_INSTRUCTION";
        case 31: return "MSR_READ";
        case 32: return "MSR_WRITE";
        case 40: return "PAUSE_INSTRUCTION";
        case 48: return "EPT_VIOLATION";
        case 49: return "EPT_MISCONFIG";
        case 52: return "PREEMPTION_TIMER";
        default: return NULL;
        }
    }
    return NULL;
}
