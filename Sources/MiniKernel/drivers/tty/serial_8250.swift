// The 16550 UART on COM1. Linux: drivers/tty/serial/8250/.
//
// Output is polled: the console must work from any context, including a
// panic with interrupts off. Input comes by the receive interrupt (IRQ 4,
// routed through the I/O APIC), which hands each byte to the line
// discipline; when its ring is full the interrupt is turned off (throttled)
// and the bytes wait in the UART, and in QEMU behind it, until a reader
// makes room.

import CShim

private let COM1: UInt16 = 0x3f8
private let UART_RX: UInt16 = 0      // receive buffer (read)
private let UART_THR: UInt16 = 0     // transmit holding register (write)
private let UART_IER: UInt16 = 1
private let UART_FCR: UInt16 = 2
private let UART_LCR: UInt16 = 3
private let UART_MCR: UInt16 = 4
private let UART_LSR: UInt16 = 5
private let UART_LSR_DR: UInt8 = 0x01
private let UART_LSR_THRE: UInt8 = 0x20
private let UART_IER_RDI: UInt8 = 0x01
private let UART_MCR_OUT2: UInt8 = 0x08     // gates the UART's interrupt line on a PC
let COM1_IRQ = 4
let SERIAL_VECTOR = 0x24

/// 115200 8N1, FIFOs on, interrupts off (serial8250_startup() turns the
/// receive interrupt on once the tty layer is there).
func serial8250_init() {
    outb(COM1 + UART_IER, 0x00)
    outb(COM1 + UART_LCR, 0x80)      // DLAB: divisor latch follows
    outb(COM1 + 0, 0x01)             // divisor 1 = 115200 baud
    outb(COM1 + 1, 0x00)
    outb(COM1 + UART_LCR, 0x03)      // 8 bits, no parity, one stop bit
    outb(COM1 + UART_FCR, 0xc7)      // FIFO on, cleared, 14-byte threshold
    outb(COM1 + UART_MCR, 0x03)      // DTR, RTS
}

@inline(__always)
func serial_putc(_ c: UInt8) {
    while inb(COM1 + UART_LSR) & UART_LSR_THRE == 0 { cpu_relax() }
    outb(COM1 + UART_THR, c)
}

private func serial_rx_ready() -> Bool { inb(COM1 + UART_LSR) & UART_LSR_DR != 0 }

/// serial8250_startup(): the receive interrupt on, through the I/O APIC.
func serial8250_startup() {
    tty_init()
    request_irq(vector: SERIAL_VECTOR, serial8250_interrupt)
    io_apic_route_isa_irq(COM1_IRQ, vector: SERIAL_VECTOR)
    outb(COM1 + UART_MCR, 0x03 | UART_MCR_OUT2)
    outb(COM1 + UART_IER, UART_IER_RDI)
}

/// throttle/unthrottle: the receive interrupt off while the ring is full.
func serial8250_throttle(_ on: Bool) {
    outb(COM1 + UART_IER, on ? 0 : UART_IER_RDI)
}

/// serial8250_rx_chars() → tty_insert_flip_char() → n_tty: every waiting
/// byte into the line discipline; the signals typed (^C, ^\, ^Z) go to
/// the foreground group once the tty lock is dropped.
private func serial8250_interrupt(_ regs: UnsafeMutablePointer<PtRegs>) {
    apic_eoi()
    guard let tty = console_tty else { return }
    var received = false
    while serial_rx_ready() {
        let (took, sig, pgrp) = tty.lock.withLock { () -> (Bool, Int32, Int32) in
            guard n_tty_receive_room(tty) > 0 else {
                tty.ldata.throttled = true
                serial8250_throttle(true)
                return (false, 0, 0)
            }
            return (true, n_tty_receive_byte(tty, inb(COM1 + UART_RX)), tty.pgrp)
        }
        if !took { break }
        received = true
        if sig != 0 && pgrp != 0 { kill_pgrp(pgrp, sig, priv: true) }      // __isig()
    }
    if received { tty_wakeup_readers(tty) }
}
