// The 16550 UART on COM1, polled. Linux: drivers/tty/serial/8250/.
//
// Output only, and polled rather than interrupt-driven: the console must work
// from any context, including a panic with interrupts off.

import CShim

private let COM1: UInt16 = 0x3f8
private let UART_THR: UInt16 = 0     // transmit holding register
private let UART_IER: UInt16 = 1
private let UART_FCR: UInt16 = 2
private let UART_LCR: UInt16 = 3
private let UART_MCR: UInt16 = 4
private let UART_LSR: UInt16 = 5
private let UART_LSR_THRE: UInt8 = 0x20

/// 115200 8N1, FIFOs on, interrupts off.
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

/// A byte from the UART if one is waiting (read(0) on the console).
func serial_getc() -> UInt8? {
    guard inb(COM1 + UART_LSR) & 0x01 != 0 else { return nil }
    return inb(COM1 + UART_THR)
}
