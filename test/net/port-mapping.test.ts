/** The pure parts of port mapping (src/core/node/port-mapping.ts); the mapping itself is tested against miniupnpd in test/e2e/netns-reachability.test.ts. */
import { describe, expect, it } from 'vitest'
import { gatewayFromRouteTable, localAddressFor } from '../../src/core/node/port-mapping.js'

const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'

describe('port mapping helpers', () => {
  it('reads the default gateway from /proc/net/route (little-endian hex)', () => {
    const table = [header, 'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0', 'eth0\t00000000\t0101000A\t0003\t0\t0\t0\t00000000\t0\t0\t0', ''].join('\n')
    expect(gatewayFromRouteTable(table)).toBe('10.0.1.1')
  })

  it('has no gateway without a default route, or with an empty table', () => {
    expect(gatewayFromRouteTable([header, 'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0'].join('\n'))).toBeUndefined()
    expect(gatewayFromRouteTable('')).toBeUndefined()
  })

  it('picks this machine\'s address on the router\'s subnet, never loopback or another subnet', () => {
    const entry = (address: string, netmask: string, internal = false) => ({ address, netmask, family: 'IPv4' as const, internal, mac: '00:00:00:00:00:00', cidr: null })
    const interfaces = {
      lo: [entry('127.0.0.1', '255.0.0.0', true)],
      eth0: [entry('192.168.7.20', '255.255.255.0')],
      eth1: [entry('10.4.0.2', '255.255.255.0')],
    }
    expect(localAddressFor('10.4.0.1', interfaces)).toBe('10.4.0.2')
    expect(localAddressFor('192.168.7.1', interfaces)).toBe('192.168.7.20')
    expect(localAddressFor('172.16.0.1', interfaces)).toBeUndefined()
  })
})
