/**
 * `stratus-tiny`: a raw disk whose boot sector, run by the BIOS (QEMU's SeaBIOS), clears the
 * VGA text screen, writes the banner STRATUS-TINY to it and to COM1, then idles with `hlt` in a
 * loop, so a booted VM costs almost no CPU and always shows the same screen.
 */
export const TINY_BANNER = 'STRATUS-TINY';
export const TINY_SIZE = 1024 * 1024;

// 16-bit real mode, loaded at 0000:7C00. Hand-assembled; each line is one instruction.
const CODE = [
  [0xfa], //                    cli
  [0x31, 0xc0], //              xor ax, ax
  [0x8e, 0xd8], //              mov ds, ax
  [0x8e, 0xd0], //              mov ss, ax
  [0xbc, 0x00, 0x7c], //        mov sp, 0x7c00
  [0xfc], //                    cld
  [0xb8, 0x00, 0xb8], //        mov ax, 0xb800        ; VGA text memory
  [0x8e, 0xc0], //              mov es, ax
  [0x31, 0xff], //              xor di, di
  [0xb8, 0x20, 0x07], //        mov ax, 0x0720        ; blank, grey on black
  [0xb9, 0xd0, 0x07], //        mov cx, 2000          ; 80 x 25 cells
  [0xf3, 0xab], //              rep stosw             ; clear the screen
  [0x31, 0xff], //              xor di, di            ; top-left corner
  [0xbe, 0x37, 0x7c], //        mov si, 0x7c37        ; the banner (offset 0x37)
  [0xba, 0xf8, 0x03], //        mov dx, 0x3f8         ; COM1
  [0xb4, 0x0f], //              mov ah, 0x0f          ; white on black
  [0xac], //              next: lodsb
  [0x84, 0xc0], //              test al, al
  [0x74, 0x04], //              jz done
  [0xee], //                    out dx, al            ; to the serial port
  [0xab], //                    stosw                 ; to the screen
  [0xeb, 0xf7], //              jmp next
  [0xb0, 0x0d], //        done: mov al, 13
  [0xee], //                    out dx, al
  [0xb0, 0x0a], //              mov al, 10
  [0xee], //                    out dx, al
  [0xfb], //                    sti                   ; timer interrupts wake hlt
  [0xf4], //              idle: hlt
  [0xeb, 0xfd], //              jmp idle
].flat();

/** The disk image: boot sector (code, banner, signature) followed by zeros. */
export function tinyImage(): Buffer {
  const disk = Buffer.alloc(TINY_SIZE);
  const code = Buffer.from(CODE);
  if (code.length !== 0x37) throw new Error(`boot code is ${code.length} bytes; the banner address assumes 0x37`);
  code.copy(disk, 0);
  disk.write(`${TINY_BANNER}\0`, 0x37, 'latin1');
  disk[510] = 0x55;
  disk[511] = 0xaa;
  return disk;
}
