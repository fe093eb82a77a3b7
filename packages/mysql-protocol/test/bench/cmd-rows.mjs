// Row codec throughput: encode and lazily decode text and binary rows, side by side.
// Run from the repository root after `npm run build`:
//   node packages/mysql-protocol/test/bench/cmd-rows.mjs
import {
  BinaryRow,
  CollationId,
  ColumnFlag,
  ColumnType,
  columnDefinition,
  PacketWriter,
  TextRow,
  writeBinaryRow,
  writeTextRow,
} from '../../dist/index.js';

const columns = [
  columnDefinition({ name: 'id', type: ColumnType.LONGLONG, flags: ColumnFlag.UNSIGNED }),
  columnDefinition({ name: 'k', type: ColumnType.LONG }),
  columnDefinition({ name: 'c', type: ColumnType.STRING }),
  columnDefinition({ name: 'pad', type: ColumnType.STRING }),
  columnDefinition({ name: 'price', type: ColumnType.NEWDECIMAL, decimals: 2 }),
  columnDefinition({ name: 'at', type: ColumnType.DATETIME, decimals: 6 }),
  columnDefinition({ name: 'blob', type: ColumnType.BLOB, characterSet: CollationId.BINARY }),
];
const values = (i) => [
  BigInt(i),
  i * 7,
  `${i}-68487932199-96439406143-93774651418-41631865787-96406072701`,
  '22195207048-70116052123-74140395089',
  '1234.56',
  '2024-02-29 13:05:09.250000',
  i % 3 === 0 ? null : Buffer.alloc(16, i & 0xff),
];

const ROWS = 50_000;
const source = Array.from({ length: 1000 }, (_, i) => values(i));

// Best of 7 runs: the machine is shared, so the fastest run is the least disturbed one.
function time(label, fn) {
  fn(); // warm-up
  let seconds = Number.POSITIVE_INFINITY;
  let n = 0;
  for (let run = 0; run < 7; run++) {
    const start = process.hrtime.bigint();
    n = fn();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  console.log(
    `| ${label.padEnd(42)} | ${Math.round(n / seconds)
      .toLocaleString('en-US')
      .padStart(12)} rows/s |`,
  );
}

const w = new PacketWriter(512);
const textPayloads = source.map((v) => Buffer.from(writeTextRow(w.reset(), v, columns).payload()));
const binaryPayloads = source.map((v) => Buffer.from(writeBinaryRow(w.reset(), columns, v).payload()));

console.log('| operation                                  | throughput          |');
console.log('|--------------------------------------------|---------------------|');
time('text row encode', () => {
  for (let i = 0; i < ROWS; i++) writeTextRow(w.reset(), source[i % 1000], columns);
  return ROWS;
});
time('binary row encode', () => {
  const scratch = Buffer.allocUnsafe(16);
  for (let i = 0; i < ROWS; i++) writeBinaryRow(w.reset(), columns, source[i % 1000], scratch);
  return ROWS;
});
const text = new TextRow(columns);
const binary = new BinaryRow(columns);
time('text row wrap + get(1) (lazy, 1 column)', () => {
  let sum = 0;
  for (let i = 0; i < ROWS; i++) sum += Number(text.wrap(textPayloads[i % 1000]).get(1));
  return sum >= 0 ? ROWS : 0;
});
time('text row decode all columns', () => {
  for (let i = 0; i < ROWS; i++) {
    text.wrap(textPayloads[i % 1000]);
    for (let c = 0; c < columns.length; c++) text.get(c);
  }
  return ROWS;
});
time('binary row wrap + get(1) (lazy, 1 column)', () => {
  let sum = 0;
  for (let i = 0; i < ROWS; i++) sum += Number(binary.wrap(binaryPayloads[i % 1000]).get(1));
  return sum >= 0 ? ROWS : 0;
});
time('binary row decode all columns', () => {
  for (let i = 0; i < ROWS; i++) {
    binary.wrap(binaryPayloads[i % 1000]);
    for (let c = 0; c < columns.length; c++) binary.get(c);
  }
  return ROWS;
});
