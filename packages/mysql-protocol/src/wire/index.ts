export { lenencIntSize, PacketReader } from './reader.js';
export { PacketWriter } from './writer.js';
