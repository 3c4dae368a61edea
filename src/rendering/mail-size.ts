// How many bytes text takes in a sent message: a part is sent quoted-printable
// (nodemailer's choice for mostly-ASCII text), so "=" and every byte of a
// non-ASCII character take three, line ends two (CRLF), and long lines get a
// three-byte soft break every 75 characters. An upper bound, not an encoder.

/** Upper bound of `text`'s quoted-printable size in bytes. */
export function encodedSize(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 61) bytes += 3;
    else if (code === 10) bytes += 2;
    else if (code < 128) bytes += 1;
    else if (code < 0x800) bytes += 6;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 12; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 9;
  }
  return Math.ceil(bytes * (1 + 3 / 75));
}
