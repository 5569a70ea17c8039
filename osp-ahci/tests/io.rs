//! Data transfer against the simulated HBA: round trips, NCQ, faults and recovery.

mod common;

use std::time::Duration;

use common::{Rig, ms, pattern};
use embedded_io::{Read, Seek, SeekFrom, Write};
use osp_ahci::sim::{DeviceSpec, HbaSpec};
use osp_ahci::{ByteStream, Config, Dir, Error, PortOutcome};
use osp_hal::DmaBuffer;
use osp_hal::sim::SimMemory;

fn buf(mem: &SimMemory, data: &[u8]) -> DmaBuffer<SimMemory> {
    let mut b = DmaBuffer::new(mem.clone(), data.len(), 4096).unwrap();
    b.as_mut_slice().copy_from_slice(data);
    b
}

#[test]
fn write_then_read_back_with_scatter_gather_any_sector_size() {
    for ss in [512usize, 4096] {
        let rig = Rig::new(
            HbaSpec::default(),
            &[(0, DeviceSpec::disk(8192, ss as u32))],
        );
        let (mut hba, _) = rig.up(Config::default());
        let mut disk = hba.disk(0).unwrap();
        assert_eq!(disk.sector_size() as usize, ss);
        let data = pattern(100, 40, ss);
        // Three caller buffers of uneven (but word-aligned) sizes: a sector spans two of them.
        let cut1 = ss * 3 + ss / 2;
        let cut2 = ss * 25;
        let parts = [&data[..cut1], &data[cut1..cut2], &data[cut2..]];
        let bufs: Vec<_> = parts.iter().map(|p| buf(&rig.mem, p)).collect();
        disk.write(100, &bufs).unwrap();
        assert_eq!(rig.sim.disk_bytes(0, 100, 40), data);
        let mut back = vec![DmaBuffer::new(rig.mem.clone(), data.len(), 8).unwrap()];
        disk.read(100, &mut back).unwrap();
        assert_eq!(back[0].as_slice(), &data[..]);
        disk.flush().unwrap();
        assert_eq!(rig.sim.violations(), vec![]);
        assert!(rig.mem.faults().is_empty());
    }
}

#[test]
fn large_transfers_are_split_into_several_commands() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(200_000, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let data = pattern(0, 70_000, 512); // more than 65535 sectors and more than 4 MiB
    let b = buf(&rig.mem, &data);
    let before = rig.sim.stats().commands;
    disk.write_sectors(1, 70_000, &b).unwrap();
    assert_eq!(rig.sim.stats().commands - before, 2);
    assert_eq!(rig.sim.disk_bytes(0, 1, 70_000), data);
}

#[test]
fn ncq_32_in_flight_round_trip_in_and_out_of_order() {
    for out_of_order in [false, true] {
        let spec = HbaSpec {
            ncq_out_of_order: out_of_order,
            command_latency: Duration::from_micros(50),
            ..HbaSpec::default()
        };
        let rig = Rig::new(spec, &[(0, DeviceSpec::disk(4096, 512))]);
        let (mut hba, _) = rig.up(Config::default());
        let mut disk = hba.disk(0).unwrap();
        assert_eq!(disk.ncq_depth(), 32);
        for i in 0..32u64 {
            let b = buf(&rig.mem, &pattern(i * 8, 8, 512));
            disk.ncq_submit(Dir::Write, i * 8, 8, b).unwrap();
        }
        assert_eq!(disk.ncq_in_flight(), 32);
        let extra = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
        assert_eq!(
            disk.ncq_submit(Dir::Write, 0, 1, extra).unwrap_err().error,
            Error::QueueFull
        );
        let mut order = Vec::new();
        while disk.ncq_in_flight() > 0 {
            let c = disk.ncq_wait().unwrap();
            c.result.unwrap();
            order.push(c.tag);
        }
        assert_eq!(order.len(), 32);
        if out_of_order {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_ne!(order, sorted, "completions come out of order");
        }
        assert_eq!(rig.sim.disk_bytes(0, 0, 256), pattern(0, 256, 512));
        for i in 0..32u64 {
            let b = DmaBuffer::new(rig.mem.clone(), 8 * 512, 8).unwrap();
            disk.ncq_submit(Dir::Read, i * 8, 8, b).unwrap();
        }
        while disk.ncq_in_flight() > 0 {
            let c = disk.ncq_wait().unwrap();
            c.result.unwrap();
            assert_eq!(c.buf.as_slice(), &pattern(c.lba, 8, 512)[..]);
        }
        assert_eq!(disk.ncq_wait().unwrap_err(), Error::NothingInFlight);
        assert_eq!(rig.sim.stats().ncq_commands, 64);
        assert_eq!(rig.sim.violations(), vec![]);
    }
}

#[test]
fn ncq_is_off_when_disabled_or_unsupported() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(64, 512))]);
    let (mut hba, _) = rig.up(Config::default().with_ncq_disabled(true));
    let mut disk = hba.disk(0).unwrap();
    assert_eq!(disk.ncq_depth(), 0);
    let b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    assert_eq!(
        disk.ncq_submit(Dir::Read, 0, 1, b).unwrap_err().error,
        Error::NcqUnsupported
    );

    let spec = HbaSpec {
        ncq: false,
        ..HbaSpec::default()
    };
    let rig = Rig::new(spec, &[(0, DeviceSpec::disk(64, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    assert_eq!(hba.disk(0).unwrap().ncq_depth(), 0);
}

#[test]
fn media_error_is_typed_and_the_port_recovers() {
    let rig = Rig::new(
        HbaSpec::default(),
        &[(0, DeviceSpec::disk(1024, 512).error_lbas(&[50]))],
    );
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let mut b = DmaBuffer::new(rig.mem.clone(), 16 * 512, 8).unwrap();
    let e = disk.read_sectors(40, 16, &mut b).unwrap_err();
    assert_eq!(
        e,
        Error::Device {
            port: 0,
            status: 0x41,
            error: 0x40
        }
    );
    disk.read_sectors(60, 16, &mut b).unwrap();
    // Same through NCQ: the commands in flight with the bad one fail, later ones work.
    let bad = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    let good = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    disk.ncq_submit(Dir::Read, 50, 1, bad).unwrap();
    let c = disk.ncq_wait().unwrap();
    assert_eq!(
        c.result,
        Err(Error::Device {
            port: 0,
            status: 0x41,
            error: 0x40
        })
    );
    disk.ncq_submit(Dir::Read, 51, 1, good).unwrap();
    assert_eq!(disk.ncq_wait().unwrap().result, Ok(()));
    rig.sim.set_error_lbas(0, &[]);
    disk.read_sectors(40, 16, &mut b).unwrap();
}

#[test]
fn command_timeout_resets_the_port_and_later_commands_work() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(1024, 512))]);
    let config = Config::default().with_command_timeout(ms(500));
    let (mut hba, _) = rig.up(config);
    let mut disk = hba.disk(0).unwrap();
    rig.sim.set_command_latency(ms(60_000));
    let mut b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    let t0 = rig.clock.elapsed();
    let e = disk.read_sectors(0, 1, &mut b).unwrap_err();
    let Error::CommandTimeout { waited, .. } = e else {
        panic!("{e:?}")
    };
    assert!(waited >= ms(500) && waited < ms(501));
    assert!(
        rig.clock.elapsed() - t0 < config.port_budget(),
        "recovery is bounded too"
    );
    rig.sim.set_command_latency(Duration::ZERO);
    disk.read_sectors(0, 1, &mut b).unwrap();
    assert_eq!(
        rig.sim.stats().comresets,
        1,
        "a timeout is recovered with COMRESET"
    );
}

#[test]
fn removed_device_is_an_error_not_a_hang() {
    let rig = Rig::new(
        HbaSpec::default(),
        &[
            (0, DeviceSpec::disk(1024, 512)),
            (1, DeviceSpec::disk(1024, 512)),
        ],
    );
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    rig.sim.set_command_latency(ms(1));
    disk.ncq_submit(Dir::Read, 0, 1, b).unwrap();
    rig.sim.remove_device(0);
    let c = disk.ncq_wait().unwrap();
    assert_eq!(c.result, Err(Error::DeviceGone(0)));
    let mut b = c.buf;
    let t0 = rig.clock.elapsed();
    assert!(disk.read_sectors(0, 1, &mut b).is_err());
    assert!(rig.clock.elapsed() - t0 < ms(10_000));
    // The other port is untouched.
    hba.disk(1).unwrap().read_sectors(0, 1, &mut b).unwrap();
}

#[test]
fn dead_controller_mid_io_is_an_error() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(1024, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    rig.sim.surprise_removal();
    let mut b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    assert_eq!(
        disk.read_sectors(0, 1, &mut b).unwrap_err(),
        Error::DeviceGone(0)
    );
}

#[test]
fn bad_requests_are_refused_before_touching_the_device() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(100, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let before = rig.sim.stats().commands;
    let mut b = DmaBuffer::new(rig.mem.clone(), 1024, 8).unwrap();
    assert!(matches!(
        disk.read_sectors(99, 2, &mut b),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        disk.read_sectors(0, 3, &mut b),
        Err(Error::Buffer(_))
    ));
    let mut odd = vec![DmaBuffer::new(rig.mem.clone(), 700, 8).unwrap()];
    assert!(matches!(disk.read(0, &mut odd), Err(Error::Buffer(_))));
    assert!(matches!(
        disk.read(u64::MAX, &mut [b]),
        Err(Error::OutOfRange { .. })
    ));
    assert_eq!(rig.sim.stats().commands, before);
}

#[test]
fn byte_stream_over_a_disk() {
    let rig = Rig::new(HbaSpec::default(), &[(2, DeviceSpec::disk(256, 4096))]);
    let (mut hba, report) = rig.up(Config::default());
    assert_eq!(report.port(2).unwrap().outcome, PortOutcome::Ready);
    let disk = hba.disk(2).unwrap();
    let mut scratch = vec![0u8; 4096];
    let mut s = ByteStream::new(disk, &mut scratch).unwrap();
    s.seek(SeekFrom::Start(4000)).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    s.write_all(&data).unwrap();
    s.flush().unwrap();
    s.seek(SeekFrom::Start(4000)).unwrap();
    let mut back = vec![0u8; data.len()];
    s.read_exact(&mut back).unwrap();
    assert_eq!(back, data);
    let raw = rig.sim.disk_bytes(2, 0, 30);
    assert_eq!(&raw[4000..104_000], &data[..]);
}

#[test]
fn identify_prints_like_hdparm() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(2048, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let disk = hba.disk(0).unwrap();
    let text = disk.identify().to_string();
    assert!(
        text.starts_with("ATA device, with non-removable media\n"),
        "{text}"
    );
    assert!(text.contains("Serial Number:      SIM0000001"), "{text}");
    assert!(
        text.contains("LBA48  user addressable sectors:        2048"),
        "{text}"
    );
    assert!(
        text.contains("Nominal Media Rotation Rate: Solid State Device"),
        "{text}"
    );
    assert!(text.contains("Checksum: correct"), "{text}");
}

#[test]
fn failed_recovery_leaves_the_port_not_ready_until_reprobed() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(64, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let mut b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    rig.sim.remove_device(0);
    assert_eq!(
        hba.disk(0).unwrap().read_sectors(0, 1, &mut b),
        Err(Error::DeviceGone(0))
    );
    assert_eq!(hba.disk(0).err(), Some(Error::PortNotReady(0)));
    // Plug a disk back in and probe that port again.
    rig.sim.attach(0, DeviceSpec::disk(64, 512));
    let report = hba.bring_up_ports(1 << 0);
    assert_eq!(report.port(0).unwrap().outcome, PortOutcome::Ready);
    assert!(report.port(1).is_none());
    hba.disk(0).unwrap().read_sectors(0, 1, &mut b).unwrap();
    hba.disk(0).unwrap().reset().unwrap();
    hba.disk(0).unwrap().read_sectors(0, 1, &mut b).unwrap();
}

#[test]
fn host_bus_and_interface_errors_are_typed_and_recovered_with_comreset() {
    use osp_ahci::regs::PortIs;
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(1024, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let mut b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    for (i, bits) in [PortIs::new().with_hbfs(true), PortIs::new().with_ifs(true)]
        .into_iter()
        .enumerate()
    {
        rig.sim.inject_fatal(0, bits);
        let e = disk.read_sectors(0, 1, &mut b).unwrap_err();
        let Error::HostBus { port: 0, is } = e else {
            panic!("{e:?}")
        };
        assert_eq!(is & bits.into_bits(), bits.into_bits());
        assert_eq!(rig.sim.stats().comresets, i as u64 + 1);
        disk.read_sectors(0, 1, &mut b).unwrap();
    }
    // The same through NCQ.
    rig.sim.inject_fatal(0, PortIs::new().with_hbfs(true));
    disk.ncq_submit(Dir::Read, 0, 1, b).unwrap();
    let c = disk.ncq_wait().unwrap();
    assert!(matches!(c.result, Err(Error::HostBus { .. })), "{c:?}");
    disk.ncq_submit(Dir::Read, 0, 1, c.buf).unwrap();
    assert_eq!(disk.ncq_wait().unwrap().result, Ok(()));
}

#[test]
fn engine_that_will_not_stop_takes_the_port_out_within_its_timeout() {
    let dev = DeviceSpec::disk(1024, 512).error_lbas(&[7]).engine_stuck();
    let rig = Rig::new(
        HbaSpec::default(),
        &[(0, dev), (1, DeviceSpec::disk(1024, 512))],
    );
    let config = Config::default();
    let (mut hba, _) = rig.up(config);
    let mut b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    let t0 = rig.clock.elapsed();
    let e = hba.disk(0).unwrap().read_sectors(7, 1, &mut b).unwrap_err();
    assert!(matches!(e, Error::Device { error: 0x40, .. }), "{e:?}");
    assert!(rig.clock.elapsed() - t0 < config.port_budget());
    assert_eq!(hba.disk(0).err(), Some(Error::PortNotReady(0)));
    hba.disk(1).unwrap().read_sectors(7, 1, &mut b).unwrap();
}

#[test]
fn wedged_port_keeps_buffers_the_hba_may_still_write() {
    let dev = DeviceSpec::disk(1024, 512).error_lbas(&[7]).engine_stuck();
    let rig = Rig::new(HbaSpec::default(), &[(0, dev)]);
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let b = DmaBuffer::new(rig.mem.clone(), 512, 8).unwrap();
    disk.ncq_submit(Dir::Read, 7, 1, b).unwrap();
    assert_eq!(disk.ncq_wait().unwrap_err(), Error::RecoveryFailed(0));
    assert!(disk.ncq_poll().is_none());
    assert_eq!(
        rig.mem.live_regions(),
        6 * 3 + 2,
        "3 per port, a bounce buffer, the read buffer"
    );
    drop(hba);
    // The five idle ports' memory is freed; port 0 keeps its command list, FIS area, tables,
    // bounce buffer and the buffer of the read it never finished.
    assert_eq!(rig.mem.live_regions(), 5);
}

#[test]
fn lba28_only_disk_uses_28_bit_commands_split_at_255_sectors() {
    use osp_ahci::identify::IdentifyBuilder;
    let id = IdentifyBuilder::disk(4096, 512)
        .word(83, 0x4000)
        .word(86, 0)
        .ncq(None)
        .build();
    let rig = Rig::new(
        HbaSpec::default(),
        &[(0, DeviceSpec::disk(4096, 512).with_identify(id))],
    );
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    assert!(!disk.identify().lba48());
    assert_eq!(disk.ncq_depth(), 0);
    let data = pattern(3000, 600, 512);
    let before = rig.sim.stats().commands;
    disk.write_sectors(3000, 600, &buf(&rig.mem, &data))
        .unwrap();
    assert_eq!(rig.sim.stats().commands - before, 3, "255 + 255 + 90");
    assert_eq!(rig.sim.disk_bytes(0, 3000, 600), data);
    disk.flush().unwrap();
}

#[test]
fn a_sector_spread_over_too_many_segments_is_refused() {
    let rig = Rig::new(HbaSpec::default(), &[(0, DeviceSpec::disk(64, 512))]);
    let (mut hba, _) = rig.up(Config::default());
    let mut disk = hba.disk(0).unwrap();
    let mut bufs: Vec<_> = (0..128)
        .map(|_| DmaBuffer::new(rig.mem.clone(), 4, 4).unwrap())
        .collect();
    let e = disk.read(0, &mut bufs).unwrap_err();
    assert_eq!(e, Error::Buffer(osp_ahci::BufferError::TooFragmented));
    // 64 segments of 8 bytes are exactly one sector: fine.
    let mut bufs: Vec<_> = (0..64)
        .map(|_| DmaBuffer::new(rig.mem.clone(), 8, 8).unwrap())
        .collect();
    disk.read(0, &mut bufs).unwrap();
}
