// `qbench matrix --format html`: the cross-device matrix as one self-contained page: a heat map coloured by roofline
// fraction for measured cells and by status for cells that do not verify, then the token estimates per model.
import Foundation

public enum MatrixHTML {
    public static func render(_ m: CompatibilityMatrix) -> String {
        let esc = ReportHTML.esc
        var body = "<h1>qbench matrix: \(m.devices.count) device(s)</h1>\n"
        body += "<p class=\"legend\"><span style=\"background:#2da44e;color:#fff\">measured, high roofline fraction"
        body += "</span><span class=\"s-verified\">measured, low fraction</span><span class=\"s-unverified\">"
        body += "verified, not measured</span><span class=\"s-mismatch\">not running: mismatch / crashed</span>"
        body += "<span class=\"s-unsupported\">not running: unsupported</span><span class=\"s-not_built\">no kernel"
        body += "</span></p>\n"
        body += "<h2>Devices</h2>\n<table>\n<tr><th></th>"
        body += m.devices.map { "<th>\(esc($0.cpuModel))<br><code>\(esc($0.shortId))</code></th>" }.joined()
        body += "</tr>\n"
        func deviceRow(_ name: String, _ value: (MatrixDevice) -> String) -> String {
            "<tr><th>\(name)</th>" + m.devices.map { "<td>\(esc(value($0)))</td>" }.joined() + "</tr>\n"
        }
        body += deviceRow("arch") { $0.arch }
        body += deviceRow("best verified") { $0.isa ?? "-" }
        body += deviceRow("CPU tier") { $0.cpuTier ?? "-" }
        body += deviceRow("limit") { $0.limit ?? "" }
        body += deviceRow("threads") { $0.threads.map(String.init) ?? "-" }
        body += deviceRow("energy") { $0.energySource }
        body += deviceRow("report") { "\($0.profile)\($0.quick ? " (quick)" : ""), \($0.startedAt)" }
        body += "</table>\n"

        body += "<h2>Kernels</h2>\n<table class=\"matrix\">\n<tr><th>op</th><th>weights</th>"
        body += m.devices.map { "<th>\(esc($0.cpuModel)) <code>\(esc($0.shortId))</code></th>" }.joined() + "</tr>\n"
        for row in m.rows {
            body += "<tr><td>\(row.op)</td><td>\(esc(row.weightFormat))</td>"
            for c in row.cells { body += cell(c) }
            body += "</tr>\n"
        }
        body += "</table>\n"

        if !m.estimates.isEmpty {
            body += "<h2>Estimates (linear layers only)</h2>\n<table>\n<tr><th>model</th><th>format</th>"
            body += m.devices.map { "<th>\(esc($0.cpuModel)) <code>\(esc($0.shortId))</code></th>" }.joined()
            body += "</tr>\n"
            for e in m.estimates {
                body += "<tr><td>\(esc(e.model))</td><td>\(esc(e.format))</td>"
                body += e.cells.map { "<td class=\"cell\">\(esc(MatrixRender.estimateText($0)))</td>" }.joined()
                body += "</tr>\n"
            }
            body += "</table>\n"
        }
        if let measured = m.measured, !measured.isEmpty {
            body += "<h2>Model runs (measured)</h2>\n<table>\n<tr><th>model</th><th>format</th>"
            body += m.devices.map { "<th>\(esc($0.cpuModel)) <code>\(esc($0.shortId))</code></th>" }.joined()
            body += "</tr>\n"
            for e in measured {
                body += "<tr><td>\(esc(e.model))</td><td>\(esc(e.format))</td>"
                body += e.cells.map { "<td class=\"cell\">\(esc(MatrixRender.measuredText($0)))</td>" }.joined()
                body += "</tr>\n"
            }
            body += "</table>\n"
        }
        if !m.notes.isEmpty {
            body += "<h2>Notes</h2>\n<ul>\n" + m.notes.map { "<li>\(esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        return ReportHTML.page(title: "qbench matrix", body: body)
    }

    static func cell(_ c: MatrixCell) -> String {
        let text = ReportHTML.esc(MatrixRender.cellText(c))
        switch c.status {
        case .noKernel: return "<td class=\"cell s-not_built\">\(text)</td>"
        case .notMeasured: return "<td class=\"cell s-unverified\">\(text)</td>"
        case .notRunning:
            let reason = c.reason ?? ""
            let cls = reason.hasPrefix("unsupported") ? "s-unsupported" : "s-mismatch"
            return "<td class=\"cell \(cls)\">\(text)</td>"
        case .measured:
            return "<td class=\"cell\" style=\"\(ReportHTML.heatStyle(c.rooflineFraction))\">\(text)</td>"
        }
    }
}
