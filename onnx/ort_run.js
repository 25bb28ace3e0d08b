// Runs an ONNX model with ONNX Runtime (npm onnxruntime-node, CPU) on
// float32 .npy inputs and writes each output as <out_dir>/<name>.npy.
//   node onnx/ort_run.js model.onnx out_dir name=input.npy ...
// ORT_NODE_MODULE: the package directory (default: require's search).
const fs = require('fs');
const path = require('path');
const ort = require(process.env.ORT_NODE_MODULE || 'onnxruntime-node');

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) {
    throw new Error(`${file}: not a C-order float32 array: ${header}`);
  }
  const dims = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim())
      .map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  return new ort.Tensor('float32', data, dims);
}

function writeNpy(file, tensor) {
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), data]));
}

async function main() {
  const [model, outDir, ...pairs] = process.argv.slice(2);
  const feeds = {};
  for (const pair of pairs) {
    const [name, file] = pair.split('=');
    feeds[name] = readNpy(file);
  }
  const session = await ort.InferenceSession.create(model, {executionProviders: ['cpu']});
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, {recursive: true});
  for (const name of session.outputNames) {
    writeNpy(path.join(outDir, name + '.npy'), results[name]);
    console.log(`ort: wrote ${name} [${results[name].dims}]`);
  }
}

main().catch((e) => {
  console.error(`ort_run: ${e.message}`);
  process.exit(1);
});
