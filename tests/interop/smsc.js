// An SMSC built on node-smpp (an independent SMPP implementation) for smsgw's interop
// test. It accepts one bind, then delivers a GSM MO, a UCS-2 MO and a two-part MO (parts
// out of order), answers every submit_sm with a decimal message id, and sends a delivery
// receipt for it whose id is in hexadecimal. Every event is printed as one JSON line.
//
//   node smsc.js [port]     (0 or nothing: a free port; the first line says which)
'use strict';
const smpp = require('smpp');

const say = (event) => process.stdout.write(JSON.stringify(event) + '\n');
let nextId = 1234567;

function deliver(session, fields) {
  return new Promise((resolve) => {
    session.deliver_sm(fields, (resp) => {
      say({ event: 'deliver_resp', from: fields.source_addr, status: resp.command_status });
      resolve(resp.command_status);
    });
  });
}

async function scenario(session) {
  const from = (n) => ({ source_addr_ton: 1, source_addr_npi: 1, source_addr: '6140000003' + n,
                         dest_addr_ton: 0, dest_addr_npi: 1, destination_addr: '4040' });
  // GSM 03.38 (data_coding 0): the letters are the same octets as ASCII.
  await deliver(session, { ...from(1), data_coding: 0, short_message: Buffer.from('MOVIE', 'latin1') });
  // UCS-2 with a character outside the BMP (a surrogate pair).
  const ucs2 = Buffer.from('MOVIE HELP \u2764 \u{1F3AC}', 'utf16le').swap16();
  await deliver(session, { ...from(2), data_coding: 8, short_message: ucs2 });
  // Two parts, UDH IEI 0x00 with an 8-bit reference, the second part first.
  const text = 'MOVIE HELP ' + 'z'.repeat(150);
  const parts = [text.slice(0, 153), text.slice(153)];
  for (const index of [2, 1]) {
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, 2, index]);
    await deliver(session, { ...from(3), data_coding: 0, esm_class: 0x40,
                             short_message: { udh, message: Buffer.from(parts[index - 1], 'latin1') } });
  }
  say({ event: 'scenario_done' });
}

const server = smpp.createServer((session) => {
  session.on('bind_transceiver', (pdu) => {
    session.send(pdu.response({ system_id: 'node-smpp' }));
    say({ event: 'bound', system_id: pdu.system_id, interface_version: pdu.interface_version });
    setTimeout(() => scenario(session), 100);
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); say({ event: 'unbind' }); });
  session.on('submit_sm', (pdu) => {
    const id = String(nextId++);
    session.send(pdu.response({ message_id: id }));
    const message = pdu.short_message.message !== undefined ? pdu.short_message.message : pdu.short_message;
    say({ event: 'submit', from: pdu.source_addr, to: pdu.destination_addr, data_coding: pdu.data_coding,
          text: Buffer.isBuffer(message) ? message.toString('latin1') : String(message), id });
    const hex = Number(id).toString(16);
    setTimeout(() => session.deliver_sm({
      source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, esm_class: 0x04,
      short_message: 'id:' + hex + ' sub:001 dlvrd:001 submit date:2611271200 done date:2611271201 stat:DELIVRD err:000 text:',
    }, (resp) => say({ event: 'receipt_resp', id: hex, status: resp.command_status })), 50);
  });
  session.on('error', (e) => say({ event: 'error', message: String(e) }));
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  say({ event: 'listening', port: server.address().port });
});
