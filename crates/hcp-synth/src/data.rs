//! The reference tables the generator draws from: the city's districts, the departments of a
//! government-service hall with their service items, and the texts citizens write.

use hcp_domain::OrgKind;

/// The city every synthetic jurisdiction is set in (the demo profile's city, at larger scale).
pub(crate) const CITY_NAME: &str = "江城市";
pub(crate) const CITY_CODE: &str = "439900";

pub(crate) struct DistrictSpec {
    pub name: &'static str,
    /// Latin slug for user names (`donghu.manager`).
    pub slug: &'static str,
    pub code: &'static str,
    pub kind: OrgKind,
    /// Towns and subdistricts (乡镇 / 街道).
    pub towns: &'static [&'static str],
}

/// Districts, counties and parks. The first three match the demo profile's names and accounts.
pub(crate) const DISTRICTS: &[DistrictSpec] = &[
    DistrictSpec {
        name: "东湖区",
        slug: "donghu",
        code: "439901",
        kind: OrgKind::District,
        towns: &["东湖街道", "湖滨街道", "桃源街道", "滨江街道", "长岭街道"],
    },
    DistrictSpec {
        name: "西山区",
        slug: "xishan",
        code: "439902",
        kind: OrgKind::District,
        towns: &["西山街道", "青石镇", "枫林街道", "白鹭镇"],
    },
    DistrictSpec {
        name: "高新区",
        slug: "gaoxin",
        code: "439971",
        kind: OrgKind::Park,
        towns: &["创新街道", "科苑街道", "云谷街道"],
    },
    DistrictSpec {
        name: "南湖区",
        slug: "nanhu",
        code: "439903",
        kind: OrgKind::District,
        towns: &["南湖街道", "金桥街道", "新港街道", "莲塘镇", "月湖街道"],
    },
    DistrictSpec {
        name: "北山区",
        slug: "beishan",
        code: "439904",
        kind: OrgKind::District,
        towns: &["北山街道", "松柏街道", "石门镇", "龙泉镇"],
    },
    DistrictSpec {
        name: "江北区",
        slug: "jiangbei",
        code: "439905",
        kind: OrgKind::District,
        towns: &["江北街道", "望江街道", "观音桥街道", "鱼嘴镇"],
    },
    DistrictSpec {
        name: "临江县",
        slug: "linjiang",
        code: "439921",
        kind: OrgKind::District,
        towns: &["城关镇", "河口镇", "大坪乡", "马鞍镇", "清水乡", "新田镇"],
    },
    DistrictSpec {
        name: "青溪县",
        slug: "qingxi",
        code: "439922",
        kind: OrgKind::District,
        towns: &["青溪镇", "柳河镇", "双江乡", "黄坪镇", "茶园乡"],
    },
    DistrictSpec {
        name: "经开区",
        slug: "jingkai",
        code: "439972",
        kind: OrgKind::Park,
        towns: &["临港街道", "产业园街道"],
    },
];

/// Community names (村 / 社区) to draw from below each town.
pub(crate) const COMMUNITIES: &[&str] = &[
    "幸福社区",
    "和平社区",
    "光明社区",
    "民主村",
    "团结村",
    "新华社区",
    "红星村",
    "建设社区",
    "阳光社区",
    "繁荣村",
    "长青社区",
    "清泉村",
    "向阳社区",
    "梧桐社区",
    "金竹村",
    "三元村",
];

pub(crate) struct DeptSpec {
    /// The department's window name below a hall, prefixed by the district's name.
    pub name: &'static str,
    /// How busy its windows are, relative to the others.
    pub load: f64,
    pub items: &'static [(&'static str, &'static str)],
}

/// The departments of a district's government-service centre and their service items (事项).
/// The first six, their codes and items are the demo profile's.
pub(crate) const DEPTS: &[DeptSpec] = &[
    DeptSpec {
        name: "市场监督管理局窗口",
        load: 1.4,
        items: &[
            ("MS-0101", "个体工商户设立登记"),
            ("MS-0102", "企业开办一件事"),
            ("MS-0103", "食品经营许可"),
            ("MS-0104", "企业变更登记"),
            ("MS-0105", "企业注销登记"),
        ],
    },
    DeptSpec {
        name: "人力资源和社会保障局窗口",
        load: 1.5,
        items: &[
            ("RS-0201", "社会保障卡补换"),
            ("RS-0202", "失业保险金申领"),
            ("RS-0203", "就业创业证申领"),
            ("RS-0204", "退休一件事"),
            ("RS-0205", "养老保险关系转移"),
        ],
    },
    DeptSpec {
        name: "公安分局户政窗口",
        load: 1.3,
        items: &[
            ("GA-0301", "居民身份证换领"),
            ("GA-0302", "户口迁移登记"),
            ("GA-0303", "新生儿出生一件事"),
            ("GA-0304", "居住证签注"),
        ],
    },
    DeptSpec {
        name: "不动产登记中心窗口",
        load: 1.6,
        items: &[
            ("BD-0401", "不动产转移登记"),
            ("BD-0402", "不动产抵押登记"),
            ("BD-0403", "不动产首次登记"),
            ("BD-0404", "不动产登记资料查询"),
        ],
    },
    DeptSpec {
        name: "税务局窗口",
        load: 1.5,
        items: &[
            ("SW-0501", "增值税发票领用"),
            ("SW-0502", "个人所得税汇算咨询"),
            ("SW-0503", "存量房交易税费申报"),
            ("SW-0504", "税务登记信息变更"),
        ],
    },
    DeptSpec {
        name: "医疗保障局窗口",
        load: 1.1,
        items: &[
            ("YB-0601", "城乡居民医保参保登记"),
            ("YB-0602", "异地就医备案"),
            ("YB-0603", "门诊慢特病待遇认定"),
            ("YB-0604", "医疗费用手工报销"),
        ],
    },
    DeptSpec {
        name: "出入境管理窗口",
        load: 0.7,
        items: &[("CR-0701", "普通护照签发"), ("CR-0702", "往来港澳通行证签发"), ("CR-0703", "往来台湾通行证签发")],
    },
    DeptSpec {
        name: "车驾管服务窗口",
        load: 0.9,
        items: &[("JG-0801", "机动车驾驶证换证"), ("JG-0802", "机动车转移登记"), ("JG-0803", "机动车检验标志核发")],
    },
    DeptSpec {
        name: "住房公积金管理中心窗口",
        load: 1.0,
        items: &[("GJ-0901", "住房公积金提取"), ("GJ-0902", "住房公积金贷款申请"), ("GJ-0903", "公积金缴存登记")],
    },
    DeptSpec {
        name: "民政局窗口",
        load: 0.6,
        items: &[("MZ-1001", "婚姻登记"), ("MZ-1002", "最低生活保障申请"), ("MZ-1003", "残疾人两项补贴申请")],
    },
    DeptSpec {
        name: "卫生健康委员会窗口",
        load: 0.5,
        items: &[("WJ-1101", "医师执业注册"), ("WJ-1102", "公共场所卫生许可"), ("WJ-1103", "生育登记")],
    },
    DeptSpec {
        name: "住房和城乡建设局窗口",
        load: 0.7,
        items: &[("ZJ-1201", "建筑工程施工许可"), ("ZJ-1202", "商品房预售许可"), ("ZJ-1203", "房屋租赁登记备案")],
    },
    DeptSpec {
        name: "交通运输局窗口",
        load: 0.5,
        items: &[("JT-1301", "道路运输经营许可"), ("JT-1302", "出租汽车驾驶员从业资格"), ("JT-1303", "超限运输许可")],
    },
    DeptSpec {
        name: "自然资源和规划局窗口",
        load: 0.5,
        items: &[("ZR-1401", "建设用地规划许可"), ("ZR-1402", "建设工程规划许可"), ("ZR-1403", "乡村建设规划许可")],
    },
    DeptSpec {
        name: "生态环境局窗口", load: 0.3, items: &[("HB-1501", "建设项目环评审批"), ("HB-1502", "排污许可")]
    },
    DeptSpec {
        name: "教育局窗口",
        load: 0.4,
        items: &[("JY-1601", "教师资格认定"), ("JY-1602", "义务教育入学登记"), ("JY-1603", "民办学校设立审批")],
    },
    DeptSpec {
        name: "公证处窗口",
        load: 0.4,
        items: &[("GZ-1701", "学历公证"), ("GZ-1702", "继承公证"), ("GZ-1703", "委托公证")],
    },
    DeptSpec {
        name: "水电气联合服务窗口",
        load: 0.6,
        items: &[("SD-1801", "水电气联动过户"), ("SD-1802", "用水报装"), ("SD-1803", "用气报装")],
    },
    DeptSpec {
        name: "综合受理窗口",
        load: 2.0,
        items: &[
            ("ZH-1901", "无差别综合受理"),
            ("ZH-1902", "企业开办一件事"),
            ("ZH-1903", "新生儿出生一件事"),
            ("ZH-1904", "帮办代办服务"),
        ],
    },
];

/// Items of a town's service centre (便民服务中心) and a community station.
pub(crate) const TOWN_ITEMS: &[(&str, &str)] = &[
    ("JD-0701", "居住证办理"),
    ("JD-0702", "老年人优待证办理"),
    ("JD-0703", "城乡居民医保参保登记"),
    ("JD-0704", "城乡居民养老保险参保登记"),
    ("JD-0705", "最低生活保障申请受理"),
    ("JD-0706", "残疾人证申领受理"),
    ("JD-0707", "生育登记"),
    ("JD-0708", "就业失业登记"),
];

/// Short texts of good ratings (most people write a word or two) with the content sub-code they
/// carry; the code's first digit is the level in the national direction (5 = 非常满意,
/// 4 = 满意, 3 = 基本满意). Sub-codes: 1 efficiency, 2 attitude, 3 done at once, 4 clear
/// guidance, 5 environment.
pub(crate) const SHORT_GOOD_COMMENTS: &[(&str, u16)] = &[
    ("满意", 2),
    ("很好", 2),
    ("点赞", 2),
    ("非常满意", 2),
    ("办事效率高", 1),
    ("服务态度好", 2),
    ("一次办成", 3),
    ("方便快捷", 1),
    ("热情周到", 2),
    ("很耐心", 2),
    ("不用跑腿", 3),
    ("指引清楚", 4),
    ("环境不错", 5),
    ("好评", 2),
    ("速度快", 1),
];

/// Longer texts of good ratings, written less often.
pub(crate) const LONG_GOOD_COMMENTS: &[(&str, u16)] = &[
    ("办事效率高，工作人员很耐心", 1),
    ("一次就办好了，不用来回跑", 3),
    ("材料一次告知清楚，不用来回跑", 4),
    ("环境整洁，引导清晰", 5),
    ("网上提交后很快就审批了", 1),
    ("帮办代办很贴心，省了不少事", 2),
    ("不用排队，预约很方便", 5),
    ("工作人员主动帮忙填表", 2),
    ("跨省通办，不用回老家跑了", 3),
    ("周末也能在自助机上办理", 1),
];

/// Bad-review texts with their content sub-code: the code is the level digit (1 = 非常不满意,
/// 2 = 不满意) times 100 plus the sub-code, so 110 = exceeded the legal processing time. Some
/// citizens name the item first (`办理…时，…`), see `ratings`.
pub(crate) const BAD_COMMENTS: &[(&str, u16)] = &[
    ("窗口工作人员态度冷淡，问了两遍才回答", 4),
    ("材料清单没有一次性告知，前后跑了三趟", 2),
    ("排队等了两个多小时，只开了一个窗口", 6),
    ("系统故障无法办理，也没有任何说明", 5),
    ("超过承诺时限还没有办结，打电话也没人回复", 10),
    ("网上申报后还要求到现场再交一遍纸质材料", 2),
    ("工作人员中途离岗，窗口长时间无人", 6),
    ("政策解释前后不一致，不同窗口说法不同", 1),
    ("办事指南与实际要求不符", 1),
    ("预约了也要重新排队取号", 6),
    ("要求提供已经取消的证明材料", 7),
    ("窗口之间互相推诿，没人负责", 7),
    ("自助终端坏了很久没人修", 9),
    ("审批超过法定时限，没有任何解释", 10),
    ("", 4),
    ("", 6),
];

/// Complaint texts of the 12345 hotline: `{}` is the item concerned.
pub(crate) const HOTLINE_TEXTS: &[&str] = &[
    "市民来电反映：办理{}时被告知需回户籍地办理，与网上办事指南不符",
    "市民来电反映：办理{}时窗口要求提供已取消的证明材料",
    "企业来电反映：{}超过承诺时限仍未办结",
    "市民来电反映：办理{}时工作人员态度生硬，解释不清",
    "市民来电反映：{}网上申报多次被退回，退回理由不明确",
    "市民来电反映：工作日下午未到下班时间窗口已停止办理{}",
    "企业来电反映：{}需多个窗口重复提交相同材料",
    "市民来电反映：预约{}后到现场仍需长时间排队",
];

/// Findings of supervisors' own checks (体验式办理, 明察暗访).
pub(crate) const SUPERVISION_TEXTS: &[&str] = &[
    "督查发现：体验式办理中，窗口未执行一次性告知制度",
    "督查发现：自助终端长期故障未报修",
    "督查发现：窗口工作人员未佩戴工作牌",
    "督查发现：窗口工作时间离岗，未放置暂停服务提示",
    "督查发现：办事指南未及时更新，与实际要求不一致",
    "督查发现：好差评评价器未按规定主动邀请评价",
];
