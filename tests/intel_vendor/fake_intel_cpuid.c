/* LD_PRELOAD shim: the process sees an Intel CPU ("GenuineIntel" from cpuid leaf 0).
 *
 * Why: PyTorch's CPU kernels have chosen their random-number path by CPU vendor (MKL streams
 * for bernoulli_/exponential_ on Intel). The tests run PyTorch under this shim to learn what
 * PyTorch 2.13 draws on an Intel machine, on whatever machine runs the tests.
 *
 * How: Linux's ARCH_SET_CPUID turns the cpuid instruction into a SIGSEGV (CPUID faulting,
 * the "cpuid_fault" CPU flag). The handler runs the real cpuid with faulting briefly off,
 * rewrites the vendor string of leaf 0, and steps over the two-byte instruction.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static int shim_active = 0;

static long set_cpuid_enabled(int enabled) {
    return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled);
}

static void on_segv(int sig, siginfo_t *info, void *raw) {
    greg_t *regs = ((ucontext_t *)raw)->uc_mcontext.gregs;
    const uint8_t *ip = (const uint8_t *)regs[REG_RIP];
    (void)info;
    if (ip[0] != 0x0f || ip[1] != 0xa2) {   /* a real fault: die as usual */
        signal(sig, SIG_DFL);
        return;
    }
    uint32_t leaf = (uint32_t)regs[REG_RAX], a = leaf, c = (uint32_t)regs[REG_RCX], b, d;
    set_cpuid_enabled(1);
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    set_cpuid_enabled(0);
    if (leaf == 0) {
        memcpy(&b, "Genu", 4);
        memcpy(&d, "ineI", 4);
        memcpy(&c, "ntel", 4);
    }
    regs[REG_RAX] = a;
    regs[REG_RBX] = b;
    regs[REG_RCX] = c;
    regs[REG_RDX] = d;
    regs[REG_RIP] += 2;
}

__attribute__((constructor)) static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSEGV, &action, 0) == 0 && set_cpuid_enabled(0) == 0)
        shim_active = 1;
}

/* The vendor string this process sees (12 characters + NUL), for the test to check. */
int seen_vendor(char *out) {
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    memcpy(out, &b, 4);
    memcpy(out + 4, &d, 4);
    memcpy(out + 8, &c, 4);
    out[12] = 0;
    return shim_active;
}
