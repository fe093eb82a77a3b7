export { encodeFrames, frameCount, MAX_FRAME_PAYLOAD, PacketEncoder } from './encoder.js';
