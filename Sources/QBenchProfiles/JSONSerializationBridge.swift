// Foundation's JSONSerialization behind one name, so YAMLDocument stays free of Foundation imports.
import Foundation

enum JSONSerializationBridge {
    static func object(from data: Data) throws -> Any {
        try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }
}
